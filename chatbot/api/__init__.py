"""The real transport: httpx, TLS, retries, SSE decoding, HTTP errors in words."""
