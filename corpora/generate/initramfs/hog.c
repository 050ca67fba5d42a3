/* hog: allocate and touch memory 1 MiB at a time until the OOM killer ends us. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	size_t mib = 0;
	for (;;) {
		char *p = malloc(1 << 20);
		if (!p) {
			fprintf(stderr, "hog: malloc failed after %zu MiB\n", mib);
			for (;;)
				pause();
		}
		memset(p, 0x5a, 1 << 20);
		mib++;
		if (mib % 64 == 0) {
			printf("hog: %zu MiB touched\n", mib);
			fflush(stdout);
		}
	}
}
