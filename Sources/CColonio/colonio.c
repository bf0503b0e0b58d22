// The ABI is implemented in Swift (Sources/ColonioC); this C target publishes include/colonio.h to it.
#include "colonio.h"
