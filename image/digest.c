#include "image/digest.h"
#include "common/util.h"

#include <openssl/evp.h>

void digest_init(struct digest *d)
{
        d->ctx = EVP_MD_CTX_new();
        d->bytes = 0;
        if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1)
                abort();        /* out of memory: as xmalloc */
}

void digest_update(struct digest *d, const void *buf, size_t len)
{
        if (len && EVP_DigestUpdate(d->ctx, buf, len) != 1)
                abort();
        d->bytes += len;
}

void digest_final(struct digest *d, char hex[DIGEST_HEX_LEN + 1])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;

        if (EVP_DigestFinal_ex(d->ctx, md, &len) != 1 || len != DIGEST_HEX_LEN / 2)
                abort();
        for (unsigned i = 0; i < len; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
        digest_done(d);
}

void digest_done(struct digest *d)
{
        EVP_MD_CTX_free(d->ctx);
        d->ctx = NULL;
}

void digest_buf(const void *buf, size_t len, char hex[DIGEST_HEX_LEN + 1])
{
        struct digest d;

        digest_init(&d);
        digest_update(&d, buf, len);
        digest_final(&d, hex);
}

int digest_hex_valid(const char *s)
{
        size_t i;

        for (i = 0; s[i]; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return 0;
        return i == DIGEST_HEX_LEN;
}
