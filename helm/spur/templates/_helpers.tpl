{{/* Names, labels and the pieces every component's pod shares. */}}

{{- define "spur.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "spur.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "spur.component.fullname" (dict "root" $ "component" "collector" ["suffix" "headless"] ["max" 52]):
<fullname>-<component>[-<suffix>] in at most `max` characters (63, the limit of object names and
label values; 52 for CronJobs, whose Jobs append 11). The fullname is shortened, never the
component or suffix, so long release names cannot make two objects' names collide or overflow. */}}
{{- define "spur.component.fullname" -}}
{{- $tail := .component -}}
{{- if .suffix }}{{ $tail = printf "%s-%v" $tail .suffix }}{{ end -}}
{{- $max := 63 -}}
{{- if .max }}{{ $max = int .max }}{{ end -}}
{{- $base := include "spur.fullname" .root | trunc (int (sub (sub $max (len $tail)) 1)) | trimSuffix "-" -}}
{{- printf "%s-%s" $base $tail -}}
{{- end -}}

{{- define "spur.selectorLabels" -}}
app.kubernetes.io/name: {{ include "spur.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "spur.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{ include "spur.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: spur
{{- end -}}

{{- define "spur.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "spur.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "spur.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Which components the mode runs. */}}
{{- define "spur.collectorEnabled" -}}
{{- if and .Values.collector.enabled (ne .Values.mode "allInOne") -}}true{{- end -}}
{{- end -}}
{{- define "spur.ingesterEnabled" -}}
{{- if and .Values.ingester.enabled (eq .Values.mode "kafka") -}}true{{- end -}}
{{- end -}}
{{- define "spur.queryEnabled" -}}
{{- if and .Values.query.enabled (ne .Values.mode "allInOne") -}}true{{- end -}}
{{- end -}}

{{/* The pod template's annotations: scrape hints, the config checksum, the user's. */}}
{{/* "spur.podAnnotations" (dict "root" $ "adminPort" 14269 "config" "<rendered configmap>") */}}
{{- define "spur.podAnnotations" -}}
{{- if .root.Values.metrics.scrapeAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .adminPort | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- if .config }}
checksum/config: {{ .config | sha256sum }}
{{- end }}
{{- with .root.Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by every component: service account, security, spreading. */}}
{{/* "spur.podSpecCommon" (dict "root" $ "component" "collector" "values" .Values.collector) */}}
{{- define "spur.podSpecCommon" -}}
serviceAccountName: {{ include "spur.serviceAccountName" .root }}
automountServiceAccountToken: {{ .root.Values.serviceAccount.automountToken }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .root.Values.topologySpread.topologyKey }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: {{ .root.Values.topologySpread.topologyKey }}
    whenUnsatisfiable: {{ .root.Values.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "spur.selectorLabels" . | nindent 8 }}
{{- end }}
{{- end -}}

{{/* Probes on the admin port: liveness on Jaeger's health JSON, readiness on /ready. */}}
{{- define "spur.probes" -}}
livenessProbe:
  httpGet:
    path: /
    port: admin
  initialDelaySeconds: 5
  periodSeconds: 10
  failureThreshold: 6
readinessProbe:
  httpGet:
    path: /ready
    port: admin
  periodSeconds: 5
  failureThreshold: 3
startupProbe:
  httpGet:
    path: /
    port: admin
  periodSeconds: 2
  failureThreshold: 60
{{- end -}}

{{/* Environment variables of the storage backend (Jaeger's names). */}}
{{- define "spur.storageConfig" -}}
{{- $s := .Values.storage -}}
SPAN_STORAGE_TYPE: {{ $s.type | quote }}
{{- if eq $s.type "cassandra" }}
CASSANDRA_SERVERS: {{ required "storage.cassandra.servers is required when storage.type is cassandra" $s.cassandra.servers | quote }}
CASSANDRA_PORT: {{ $s.cassandra.port | quote }}
CASSANDRA_KEYSPACE: {{ $s.cassandra.keyspace | quote }}
{{- with $s.cassandra.localDc }}
CASSANDRA_LOCAL_DC: {{ . | quote }}
{{- end }}
{{- with $s.cassandra.username }}
CASSANDRA_USERNAME: {{ . | quote }}
{{- end }}
{{- else if or (eq $s.type "elasticsearch") (eq $s.type "opensearch") }}
ES_SERVER_URLS: {{ required "storage.elasticsearch.serverUrls is required when storage.type is elasticsearch or opensearch" $s.elasticsearch.serverUrls | quote }}
{{- with $s.elasticsearch.indexPrefix }}
ES_INDEX_PREFIX: {{ . | quote }}
{{- end }}
{{- if $s.elasticsearch.useAliases }}
ES_USE_ALIASES: "true"
{{- end }}
{{- with $s.elasticsearch.username }}
ES_USERNAME: {{ . | quote }}
{{- end }}
{{- else if eq $s.type "memory" }}
MEMORY_MAX_TRACES: {{ $s.memory.maxTraces | quote }}
{{- else if eq $s.type "embedded" }}
BADGER_DIRECTORY_VALUE: /var/lib/spur/values
BADGER_SPAN_STORE_TTL: {{ $s.embedded.ttl | quote }}
{{- end }}
{{- end -}}

{{/* Secret-sourced storage environment (passwords), as `env` entries. */}}
{{- define "spur.storageSecretEnv" -}}
{{- $s := .Values.storage -}}
{{- if and (eq $s.type "cassandra") $s.cassandra.existingSecret }}
- name: CASSANDRA_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $s.cassandra.existingSecret }}
      key: {{ $s.cassandra.passwordKey }}
{{- else if and (or (eq $s.type "elasticsearch") (eq $s.type "opensearch")) $s.elasticsearch.existingSecret }}
- name: ES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $s.elasticsearch.existingSecret }}
      key: {{ $s.elasticsearch.passwordKey }}
{{- end }}
{{- end -}}

{{/* Kafka client settings; "prefix" is KAFKA_PRODUCER or KAFKA_CONSUMER. */}}
{{- define "spur.kafkaConfig" -}}
{{- $k := .root.Values.kafka -}}
{{ .prefix }}_BROKERS: {{ required "kafka.brokers is required in mode kafka" $k.brokers | quote }}
{{ .prefix }}_TOPIC: {{ $k.topic | quote }}
{{ .prefix }}_ENCODING: {{ $k.encoding | quote }}
{{ .prefix }}_AUTHENTICATION: {{ $k.authentication | quote }}
{{- if $k.tls.enabled }}
{{ .prefix }}_TLS_ENABLED: "true"
{{ .prefix }}_TLS_CA: /etc/spur/kafka-tls/ca.crt
{{- if $k.tls.clientCertificate }}
{{ .prefix }}_TLS_CERT: /etc/spur/kafka-tls/tls.crt
{{ .prefix }}_TLS_KEY: /etc/spur/kafka-tls/tls.key
{{- end }}
{{- end }}
{{- if eq $k.authentication "plaintext" }}
{{ .prefix }}_PLAINTEXT_USERNAME: {{ $k.plaintext.username | quote }}
{{ .prefix }}_PLAINTEXT_MECHANISM: {{ $k.plaintext.mechanism | quote }}
{{- end }}
{{- end -}}

{{- define "spur.kafkaSecretEnv" -}}
{{- $k := .root.Values.kafka -}}
{{- if and (eq $k.authentication "plaintext") $k.plaintext.existingSecret }}
- name: {{ .prefix }}_PLAINTEXT_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $k.plaintext.existingSecret }}
      key: {{ $k.plaintext.passwordKey }}
{{- end }}
{{- end -}}

{{- define "spur.kafkaVolumeMounts" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.existingSecret }}
- name: kafka-tls
  mountPath: /etc/spur/kafka-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "spur.kafkaVolumes" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.existingSecret }}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tls.existingSecret }}
{{- end }}
{{- end -}}

{{/* A "KEY: value" block (as the ConfigMaps hold) as a container `env` list. */}}
{{- define "spur.envList" -}}
{{- range $key, $value := fromYaml . }}
- name: {{ $key }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* Pod settings of Jobs: as services, never restarted in place. */}}
{{- define "spur.jobPodSpec" -}}
restartPolicy: OnFailure
serviceAccountName: {{ include "spur.serviceAccountName" .root }}
automountServiceAccountToken: {{ .root.Values.serviceAccount.automountToken }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* The schema tool's settings: Jaeger's create.sh names (KEYSPACE, MODE, DATACENTER) beside
the connection's CASSANDRA_* ones; it takes no SPAN_STORAGE_TYPE. */}}
{{- define "spur.cassandraSchema.config" -}}
{{- $c := .Values.storage.cassandra -}}
CASSANDRA_SERVERS: {{ required "storage.cassandra.servers is required when storage.type is cassandra" $c.servers | quote }}
CASSANDRA_PORT: {{ $c.port | quote }}
KEYSPACE: {{ $c.keyspace | quote }}
{{- with $c.localDc }}
MODE: "prod"
DATACENTER: {{ . | quote }}
{{- end }}
{{- with $c.username }}
CASSANDRA_USERNAME: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* The storage commands the hooks and CronJobs run (binaries of the same image). */}}
{{- define "spur.cassandraSchemaCommand" -}}
[/usr/local/bin/spur-cassandra-schema, init]
{{- end -}}
{{/* "spur.esIndexCommand" (list $ "init") */}}
{{- define "spur.esIndexCommand" -}}
{{- printf "[/usr/local/bin/spur-es-index, %s]" (index . 1) -}}
{{- end -}}
