#include <zlib.h>

/* inflateInit2 is a macro; 15 + 32 accepts zlib and gzip streams alike. */
static inline int codedpo_inflate_init(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}
