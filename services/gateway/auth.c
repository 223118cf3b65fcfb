/* Credential parsing. The key id has a fixed length, so a base64url secret may itself
 * contain '_' without ambiguity. */
#include "auth.h"

#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

static bool s_key_id_ok(const char *s)
{
    for (int i = 0; i < YX_KEY_ID_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

static const yx_key_t *s_bearer(const yx_keys_t *keys, const char *token)
{
    size_t n = strlen(token);
    if (n < 3 + YX_KEY_ID_LEN + 2 || n > 3 + YX_KEY_ID_LEN + 1 + YX_SECRET_MAX) return NULL;
    if (strncmp(token, "yx_", 3) != 0 || !s_key_id_ok(token + 3) || token[3 + YX_KEY_ID_LEN] != '_')
        return NULL;
    const char *secret = token + 3 + YX_KEY_ID_LEN + 1;
    return yx_keys_verify(keys, token + 3, secret, strlen(secret));
}

static const yx_key_t *s_basic(const yx_keys_t *keys, const char *encoded)
{
    size_t n = strlen(encoded);
    unsigned char decoded[(YX_KEY_ID_LEN + 1 + YX_SECRET_MAX) + 4];
    if (n == 0 || n % 4 || n / 4 * 3 > sizeof decoded) return NULL;
    int len = EVP_DecodeBlock(decoded, (const unsigned char *)encoded, (int)n);
    if (len < 0) return NULL;
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    for (size_t i = n; i > 0 && encoded[i - 1] == '='; i--)
        len--;
    if (len < YX_KEY_ID_LEN + 2 || decoded[YX_KEY_ID_LEN] != ':' ||
        !s_key_id_ok((const char *)decoded))
        return NULL;
    const char *secret = (const char *)decoded + YX_KEY_ID_LEN + 1;
    size_t secret_len = (size_t)len - YX_KEY_ID_LEN - 1;
    if (memchr(secret, '\0', secret_len)) return NULL;
    return yx_keys_verify(keys, (const char *)decoded, secret, secret_len);
}

const yx_key_t *yx_auth_check(const yx_keys_t *keys, const char *authorization)
{
    if (!authorization) return NULL;
    while (*authorization == ' ')
        authorization++;
    if (strncasecmp(authorization, "Bearer ", 7) == 0) {
        const char *token = authorization + 7;
        while (*token == ' ')
            token++;
        return s_bearer(keys, token);
    }
    if (strncasecmp(authorization, "Basic ", 6) == 0) {
        const char *encoded = authorization + 6;
        while (*encoded == ' ')
            encoded++;
        return s_basic(keys, encoded);
    }
    return NULL;
}
