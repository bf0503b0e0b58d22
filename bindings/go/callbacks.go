package colonio

/*
#include <stdlib.h>
#include "colonio.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"runtime/cgo"
	"unsafe"
)

// colonioGoHandler is the C handler of every Go Handler: it copies the message and runs the handler on
// a goroutine, which answers the request.
//
//export colonioGoHandler
func colonioGoHandler(context unsafe.Pointer, reply C.colonio_reply, source, name *C.char, payload *C.uint8_t,
	length C.size_t, hops C.uint32_t) {
	handler, ok := cgo.Handle(uintptr(context)).Value().(Handler)
	message := Message{
		Source: C.GoString(source), Name: C.GoString(name), HopCount: uint32(hops), IsRequest: reply != 0,
		Payload: C.GoBytes(unsafe.Pointer(payload), C.int(length)),
	}
	go answer(handler, ok, message, reply)
}

func answer(handler Handler, ok bool, message Message, reply C.colonio_reply) {
	response, err := run(handler, ok, message)
	if reply == 0 {
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err != nil {
		text := C.CString(err.Error())
		defer C.free(unsafe.Pointer(text))
		C.colonio_reply_error(reply, text)
		return
	}
	data, length := cBytes(response)
	defer C.free(unsafe.Pointer(data))
	C.colonio_reply_bytes(reply, (*C.uint8_t)(unsafe.Pointer(data)), length)
}

// run calls the handler, turning a panic into an error for the requester.
func run(handler Handler, ok bool, message Message) (response []byte, err error) {
	if !ok {
		return nil, fmt.Errorf("the Go handler was removed")
	}
	defer func() {
		if recovered := recover(); recovered != nil {
			err = fmt.Errorf("the Go handler panicked: %v", recovered)
		}
	}()
	return handler(message)
}

// colonioGoDelivery is the C callback of every Subscription: it hands a copy of the delivery to the
// subscription's channel, or drops it once the subscription is closing.
//
//export colonioGoDelivery
func colonioGoDelivery(context unsafe.Pointer, topic, sender *C.char, payload *C.uint8_t, length C.size_t,
	x, y, radius C.double, hops C.uint32_t) {
	state, ok := cgo.Handle(uintptr(context)).Value().(*subscriber)
	if !ok {
		return
	}
	delivery := Delivery{
		Topic: C.GoString(topic), Sender: C.GoString(sender), Payload: C.GoBytes(unsafe.Pointer(payload), C.int(length)),
		Center: Position{X: float64(x), Y: float64(y)}, Radius: float64(radius), Hops: uint32(hops),
	}
	select {
	case state.deliveries <- delivery:
	case <-state.done:
	}
}
