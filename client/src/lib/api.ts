/** Fetches JSON from the server that served the page; throws with the server's own message on 4xx/5xx. */
export async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(path, { ...init, headers: { accept: 'application/json', ...(init?.headers ?? {}) } });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const message = (body as { message?: string } | null)?.message ?? `${res.status} ${res.statusText}`;
    throw new Error(message);
  }
  return body as T;
}
