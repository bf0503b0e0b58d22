package colonio

/*
#cgo LDFLAGS: -lcolonio
#include <stdint.h>
#include <stdlib.h>
#include "colonio.h"

*/
import "C"

import (
	"runtime"
	"unsafe"
)

// ABIVersion is the colonio.h version this package was written for.
const ABIVersion = 1

// call runs one library call and reads its error on the same OS thread (the last error is thread-local).
func call(f func() C.colonio_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	status := f()
	if status == 0 {
		return nil
	}
	return &Error{Code: Code(status), Message: C.GoString(C.colonio_last_error_message())}
}

// cString copies s for C; free it with C.free.
func cString(s string) *C.char { return C.CString(s) }

// cBytes copies b for C (NULL for no bytes); free it with C.free.
func cBytes(b []byte) (*C.char, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.char)(C.CBytes(b)), C.size_t(len(b))
}

// takeBytes copies and frees a buffer the library returned.
func takeBytes(p *C.uint8_t, n C.size_t) []byte {
	if p == nil {
		return nil
	}
	defer C.colonio_free(unsafe.Pointer(p))
	return C.GoBytes(unsafe.Pointer(p), C.int(n))
}

// takeString copies and frees a string the library returned.
func takeString(p *C.char) string {
	if p == nil {
		return ""
	}
	defer C.colonio_free(unsafe.Pointer(p))
	return C.GoString(p)
}

// libraryABIVersion is the loaded library's ABI version.
func libraryABIVersion() int { return int(C.colonio_abi_version()) }
