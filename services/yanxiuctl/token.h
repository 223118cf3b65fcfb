/* Credentials: a 12-hex key id, a 32-byte secret in base64url, and the secret's hash. */
#ifndef YX_TOKEN_H
#define YX_TOKEN_H

#define YX_TOKEN_KEY_ID_LEN 12
#define YX_TOKEN_SECRET_LEN 43 /* 32 bytes, base64url without padding */
#define YX_TOKEN_HASH_LEN 64

/* Fresh random key id and secret from RAND_bytes. 0 or -1. */
int yx_token_new(char key_id[YX_TOKEN_KEY_ID_LEN + 1], char secret[YX_TOKEN_SECRET_LEN + 1]);
/* Hex SHA-256 of the secret's text, as auth.keys.secret_hash stores it. */
void yx_token_hash(const char *secret, char hash[YX_TOKEN_HASH_LEN + 1]);

#endif
