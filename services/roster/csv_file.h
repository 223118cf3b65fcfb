/* Opening one uploaded CSV file: encoding, parsing, headers. Shared by the OneRoster bundle
 * and the Chinese spreadsheet loader. */
#ifndef ROSTER_CSV_FILE_H
#define ROSTER_CSV_FILE_H
#include "sync.h"
#include "yx_csv.h"

/* Parses a file whose bytes must be UTF-8 (a BOM is allowed); when gb18030_ok, text that
 * is not UTF-8 is read as GB18030. Problems are reported against `file`; NULL on failure.
 * The table stays alive until the sync is destroyed. */
yx_csv_t *csv_file_open(sync_t *sync, const char *file, const char *data, size_t size,
                        bool gb18030_ok);

/* A cell made safe to store: formulas become inert text. Points into the table when it
 * needs no change. */
const char *csv_file_cell(sync_t *sync, const yx_csv_t *table, size_t row, int col);

/* Reports a row whose field count differs from the header's; true when it does. */
bool csv_file_ragged(sync_t *sync, const char *file, const yx_csv_t *table, size_t row);

#endif
