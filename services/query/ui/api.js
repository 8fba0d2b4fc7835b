// The Jaeger HTTP JSON API as the UI calls it: addresses relative to the page's <base href>
// (so query.base-path works), envelope unwrapping and error texts. No rendering here.

/** An API answer that was not a success: `message` is the server's error text. */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** The address of an API path (no leading slash) with query parameters. */
export function apiUrl(path, params = {}) {
  const url = new URL(`api/${path}`, document.baseURI);
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => url.searchParams.append(key, v));
    else url.searchParams.set(key, value);
  }
  return url;
}

async function get(path, params, signal) {
  let response;
  try {
    response = await fetch(apiUrl(path, params), { signal, headers: { Accept: "application/json" } });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(`cannot reach the query service: ${error.message}`, 0);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const errors = body && Array.isArray(body.errors) ? body.errors : [];
  if (!response.ok) {
    const message = errors.length ? errors.map((e) => e.msg).join("; ") : `HTTP ${response.status}`;
    throw new ApiError(message, response.status);
  }
  if (!body) throw new ApiError("the query service sent no JSON", response.status);
  return { data: body.data, errors };
}

/** Every service name, sorted. */
export async function services(signal) {
  const { data } = await get("services", {}, signal);
  return (data || []).slice().sort();
}

/** Every operation name of a service, sorted. */
export async function operations(service, signal) {
  const { data } = await get(`services/${encodeURIComponent(service)}/operations`, {}, signal);
  return (data || []).slice().sort();
}

/** Searches traces: `query` holds /api/traces' parameters (service, operation, tags, ...). */
export async function searchTraces(query, signal) {
  const { data, errors } = await get("traces", query, signal);
  return { traces: data || [], errors };
}

/** One trace by id; throws ApiError 404 when unknown. */
export async function trace(id, signal) {
  const { data } = await get(`traces/${encodeURIComponent(id)}`, {}, signal);
  if (!data || !data.length) throw new ApiError("trace not found", 404);
  return data[0];
}

/** Dependency links `{parent, child, callCount}` of the window ending now. */
export async function dependencies(lookbackMillis, signal) {
  const { data } = await get("dependencies", { endTs: Date.now(), lookback: lookbackMillis }, signal);
  return data || [];
}
