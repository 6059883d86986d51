// libFuzzer's driver, for an entry point that SwiftPM names <target>_main (it links every
// executable target with --defsym main=<target>_main, so libFuzzer's own main is not used).
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
