/** A non-2xx answer of the API, carrying what the page needs to explain it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | undefined,
    /** Seconds from a 429's Retry-After header, when the server sent one. */
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ApiError';
  }

  get isRateLimited(): boolean {
    return this.status === 429;
  }

  /** 401/403: the token is missing, expired or not allowed to read usage. */
  get isAuthError(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Builds an ApiError from a failed response; reads `application/problem+json` when present. */
export async function apiErrorFrom(response: Response): Promise<ApiError> {
  let title = response.statusText || `HTTP ${response.status}`;
  let detail: string | undefined;
  try {
    const body = (await response.json()) as { title?: unknown; detail?: unknown };
    if (typeof body.title === 'string') title = body.title;
    if (typeof body.detail === 'string') detail = body.detail;
  } catch {
    // Not JSON (e.g. a proxy's HTML error page): the status line is all we have.
  }
  return new ApiError(response.status, title, detail, retryAfter(response.headers.get('Retry-After')));
}
