/*
 * encode-pages: compress each 4096-byte page of stdin the way makedumpfile
 * 1.7.x does for kdump-compressed dumps (snappy_compress; ZSTD_compressCCtx at
 * level 1) and write "<u32 little-endian length><bytes>" per page to
 * OUT.snappy and OUT.zstd. Test vectors for kpanic's page decoders, made by
 * the reference libraries (Debian's libsnappy and libzstd).
 *
 *   cc -O2 -o encode-pages encode-pages.c -lsnappy -lzstd
 *   ./encode-pages OUT < pages.raw
 */
#include <snappy-c.h>
#include <zstd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 4096

static void put(FILE *f, const char *buf, size_t len) {
	uint8_t n[4] = { len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, (len >> 24) & 0xff };
	if (fwrite(n, 1, 4, f) != 4 || fwrite(buf, 1, len, f) != len) {
		perror("write");
		exit(1);
	}
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUT < pages.raw\n", argv[0]);
		return 2;
	}
	char name[4096];
	snprintf(name, sizeof name, "%s.snappy", argv[1]);
	FILE *fs = fopen(name, "wb");
	snprintf(name, sizeof name, "%s.zstd", argv[1]);
	FILE *fz = fopen(name, "wb");
	if (!fs || !fz) {
		perror("open");
		return 1;
	}
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	char page[PAGE];
	size_t cap = snappy_max_compressed_length(PAGE);
	size_t zcap = ZSTD_compressBound(PAGE);
	char *out = malloc(cap > zcap ? cap : zcap);
	int pages = 0;
	while (fread(page, 1, PAGE, stdin) == PAGE) {
		size_t len = cap;
		if (snappy_compress(page, PAGE, out, &len) != SNAPPY_OK) {
			fprintf(stderr, "snappy_compress failed\n");
			return 1;
		}
		put(fs, out, len);
		size_t z = ZSTD_compressCCtx(cctx, out, zcap, page, PAGE, 1);
		if (ZSTD_isError(z)) {
			fprintf(stderr, "zstd: %s\n", ZSTD_getErrorName(z));
			return 1;
		}
		put(fz, out, z);
		pages++;
	}
	fclose(fs);
	fclose(fz);
	fprintf(stderr, "%d pages\n", pages);
	return 0;
}
