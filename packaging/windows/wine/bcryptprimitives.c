/*
 * A stand-in for Windows' bcryptprimitives.dll, for Wine 8.0 (Debian 12)
 * only, which lacks it: the Go runtime (1.22 and later) takes its random
 * numbers from ProcessPrng there and stops at start-up without it. This one
 * asks Wine's RtlGenRandom (advapi32's SystemFunction036) instead. The test
 * of packaging/windows puts it into its Wine prefix's system32; it is never
 * installed on Windows, where Windows 10 and later carry the real one.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x10000000 ? 0x10000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}
