// nghttp2 (Debian: libnghttp2-dev), the HTTP/2 framing layer behind the health server's h2c support.
#include <nghttp2/nghttp2.h>
