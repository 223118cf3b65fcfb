/* The "program" commands of yanxiuctl, answered by the credits service over the bus. */
#ifndef YX_PROGRAM_CMD_H
#define YX_PROGRAM_CMD_H

/* `yanxiuctl program create ...`: argv holds the argc words after "program". Prints the
 * created program's JSON. Exit code: 0 created, 1 refused or unreachable (the reason on
 * stderr), 2 usage. */
int program_cmd(int argc, char **argv);

/* The usage lines of the program commands, for the tool's help. */
extern const char program_cmd_usage[];

#endif
