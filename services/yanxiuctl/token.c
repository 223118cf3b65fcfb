/* Credential generation. base64url keeps tokens safe in headers, URLs and shells. */
#include "token.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

static void s_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0xf];
    }
    out[2 * n] = '\0';
}

int yx_token_new(char key_id[YX_TOKEN_KEY_ID_LEN + 1], char secret[YX_TOKEN_SECRET_LEN + 1])
{
    unsigned char id_bytes[YX_TOKEN_KEY_ID_LEN / 2], secret_bytes[32];
    if (RAND_bytes(id_bytes, sizeof id_bytes) != 1 ||
        RAND_bytes(secret_bytes, sizeof secret_bytes) != 1)
        return -1;
    s_hex(id_bytes, sizeof id_bytes, key_id);
    unsigned char b64[48];
    int n = EVP_EncodeBlock(b64, secret_bytes, sizeof secret_bytes); /* 44 with one '=' */
    int len = 0;
    for (int i = 0; i < n && b64[i] != '='; i++)
        secret[len++] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
    secret[len] = '\0';
    return len == YX_TOKEN_SECRET_LEN ? 0 : -1;
}

void yx_token_hash(const char *secret, char hash[YX_TOKEN_HASH_LEN + 1])
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)secret, strlen(secret), digest);
    s_hex(digest, sizeof digest, hash);
}
