/* The "cert" commands of yanxiuctl: checking a certificate offline, with nothing but the
 * certificate file and the county's public key (county-ed25519.pub.pem). */
#ifndef YX_CERT_CMD_H
#define YX_CERT_CMD_H

/* `yanxiuctl cert verify FILE --pubkey PUBFILE`: argv holds the argc words after
 * "cert verify" (FILE and the option, in any order; --pubkey=PUBFILE too; FILE "-" is
 * standard input). Prints what the certificate says when it is valid.
 * Exit code: 0 valid, 1 invalid (the reason on stderr), 2 usage, or a file that cannot be
 * read, or PUBFILE not an Ed25519 public key: nothing could be checked. Revocation is not
 * visible offline: /verify/{id} answers that. */
int cert_cmd_verify(int argc, char **argv);

/* The usage lines of the cert commands, for the tool's help. */
extern const char cert_cmd_usage[];

#endif
