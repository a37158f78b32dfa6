/*
 * sha256 digests of image content, in OCI's notation ("sha256:<64 hex>"),
 * computed while the content streams by (libcrypto's EVP interface).
 */
#ifndef POD_IMAGE_DIGEST_H
#define POD_IMAGE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_HEX_LEN 64

struct digest {
        void *ctx;              /* EVP_MD_CTX */
        uint64_t bytes;         /* fed so far */
};

void digest_init(struct digest *d);
void digest_update(struct digest *d, const void *buf, size_t len);
/* The lower-case hex digest (65 bytes with the NUL); the context is freed. */
void digest_final(struct digest *d, char hex[DIGEST_HEX_LEN + 1]);
void digest_done(struct digest *d);
/* The digest of one buffer. */
void digest_buf(const void *buf, size_t len, char hex[DIGEST_HEX_LEN + 1]);
/* Is s 64 lower-case hex digits? */
int digest_hex_valid(const char *s);

#endif
