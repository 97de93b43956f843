#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry for a program that has its own main (LLVM's FuzzerInterface.h): SwiftPM
/// makes an executable's main its Swift code, so sweep-fuzz calls libFuzzer rather than
/// being called by libFuzzer's main. Linked by -sanitize=fuzzer; declared only, as Swift
/// cannot declare a C function.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
