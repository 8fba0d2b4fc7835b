//go:build tools

// Package peers pins the Jaeger v1 programs Spur's interoperability tests run as peers
// (built by build.sh from the Go module proxy; none of their code is in this repository).
package peers

import _ "github.com/jaegertracing/jaeger/cmd/query"
