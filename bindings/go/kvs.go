package colonio

/*
#include <stdlib.h>
#include "colonio.h"
*/
import "C"

import (
	"context"
	"unsafe"
)

// Condition is when a KVS put or delete applies.
type Condition struct {
	kind    C.int32_t
	version uint64
}

// The conditions of the KVS (IfVersion is compare-and-set).
var (
	Always    = Condition{kind: C.COLONIO_KVS_ALWAYS}
	IfAbsent  = Condition{kind: C.COLONIO_KVS_IF_ABSENT}
	IfPresent = Condition{kind: C.COLONIO_KVS_IF_PRESENT}
)

// IfVersion applies only when the key's version is exactly version.
func IfVersion(version uint64) Condition {
	return Condition{kind: C.COLONIO_KVS_IF_VERSION, version: version}
}

// Value is a stored value and its version.
type Value struct {
	Bytes   []byte
	Version uint64
}

// Get reads key: its value, or nil when it has none.
func (n *Node) Get(ctx context.Context, key string) (*Value, error) {
	cKey := cString(key)
	result := make(chan *Value, 1)
	err := blocking(ctx, func() C.colonio_status {
		defer C.free(unsafe.Pointer(cKey))
		var found C.int32_t
		var value *C.uint8_t
		var length C.size_t
		var version C.uint64_t
		status := C.colonio_kvs_get(n.handle, cKey, &found, &value, &length, &version)
		if status == 0 && found != 0 {
			result <- &Value{Bytes: takeBytes(value, length), Version: uint64(version)}
		} else {
			result <- nil
		}
		return status
	})
	if err != nil {
		return nil, err
	}
	return <-result, nil
}

// Put stores value under key if condition holds and returns the new version; on ErrConditionFailed the
// *Error's CurrentVersion is the key's version (0: no value).
func (n *Node) Put(ctx context.Context, key string, value []byte, condition Condition) (uint64, error) {
	cKey := cString(key)
	data, length := cBytes(value)
	versions := make(chan uint64, 1)
	err := blocking(ctx, func() C.colonio_status {
		defer C.free(unsafe.Pointer(cKey))
		defer C.free(unsafe.Pointer(data))
		var version C.uint64_t
		status := C.colonio_kvs_put(n.handle, cKey, (*C.uint8_t)(unsafe.Pointer(data)), length, condition.kind,
			C.uint64_t(condition.version), &version)
		versions <- uint64(version)
		return status
	})
	return withVersion(err, versions)
}

// Delete removes key if condition holds.
func (n *Node) Delete(ctx context.Context, key string, condition Condition) error {
	cKey := cString(key)
	versions := make(chan uint64, 1)
	err := blocking(ctx, func() C.colonio_status {
		defer C.free(unsafe.Pointer(cKey))
		var version C.uint64_t
		status := C.colonio_kvs_delete(n.handle, cKey, condition.kind, C.uint64_t(condition.version), &version)
		versions <- uint64(version)
		return status
	})
	_, err = withVersion(err, versions)
	return err
}

// withVersion reads the version a finished call wrote (none when the context ended first) and puts it
// in a condition failure.
func withVersion(err error, versions chan uint64) (uint64, error) {
	var version uint64
	select {
	case version = <-versions:
	default:
	}
	if failure, ok := err.(*Error); ok && failure.Code == CodeConditionFailed {
		failure.CurrentVersion = version
	}
	if err != nil && version != 0 && !isConditionFailure(err) {
		version = 0
	}
	return version, err
}

func isConditionFailure(err error) bool {
	failure, ok := err.(*Error)
	return ok && failure.Code == CodeConditionFailed
}
