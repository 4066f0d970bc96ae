"""Schemathesis hooks for scripts/contract: the bytes of a tus PATCH
(application/offset+octet-stream) are sent as they are generated."""
import schemathesis


@schemathesis.serializer("application/offset+octet-stream")
def offset_stream(ctx, value):
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")
