package colonio

import "fmt"

// Code is a status code of colonio.h; each Swift ColonioError case has its own.
type Code int32

// The codes of colonio.h.
const (
	CodeInvalidArgument  Code = 1
	CodeInvalidHandle    Code = 2
	CodeNotConnected     Code = 3
	CodeAlreadyConnected Code = 4
	CodeSeedFailed       Code = 5
	CodeLinksUnavailable Code = 6
	CodeUnreachable      Code = 7
	CodeTimeout          Code = 8
	CodeNoHandler        Code = 9
	CodeHandlerFailed    Code = 10
	CodeMessageTooLarge  Code = 11
	CodeInvalidName      Code = 12
	CodeNetworkClosed    Code = 13
	CodeInvalidPosition  Code = 14
	CodePublishFailed    Code = 15
	CodeNoReceiver       Code = 16
	CodeConditionFailed  Code = 17
	CodeUnavailable      Code = 18
	CodeKeyTooLarge      Code = 19
	CodeValueTooLarge    Code = 20
	CodeDeliveryFailed   Code = 21
	CodeInternal         Code = 99
)

// Error is a failed call: its code, the library's message and, for CodeConditionFailed, the key's
// version at that moment (0: no value). Compare with errors.Is(err, colonio.ErrTimeout) and friends.
type Error struct {
	Code           Code
	Message        string
	CurrentVersion uint64
}

func (e *Error) Error() string { return fmt.Sprintf("colonio: %s (code %d)", e.Message, e.Code) }

// Is matches any *Error with the same code, so the Err* values below work with errors.Is.
func (e *Error) Is(target error) bool {
	other, ok := target.(*Error)
	return ok && other.Code == e.Code
}

// Sentinels for errors.Is, one per code.
var (
	ErrInvalidArgument  = &Error{Code: CodeInvalidArgument, Message: "invalid argument"}
	ErrInvalidHandle    = &Error{Code: CodeInvalidHandle, Message: "closed node, ended subscription or answered request"}
	ErrNotConnected     = &Error{Code: CodeNotConnected, Message: "not connected"}
	ErrAlreadyConnected = &Error{Code: CodeAlreadyConnected, Message: "already connected"}
	ErrSeedFailed       = &Error{Code: CodeSeedFailed, Message: "signing in to the seed failed"}
	ErrLinksUnavailable = &Error{Code: CodeLinksUnavailable, Message: "WebRTC unavailable"}
	ErrUnreachable      = &Error{Code: CodeUnreachable, Message: "unreachable"}
	ErrTimeout          = &Error{Code: CodeTimeout, Message: "timeout"}
	ErrNoHandler        = &Error{Code: CodeNoHandler, Message: "no handler"}
	ErrHandlerFailed    = &Error{Code: CodeHandlerFailed, Message: "handler failed"}
	ErrMessageTooLarge  = &Error{Code: CodeMessageTooLarge, Message: "message too large"}
	ErrInvalidName      = &Error{Code: CodeInvalidName, Message: "invalid name"}
	ErrNetworkClosed    = &Error{Code: CodeNetworkClosed, Message: "network closed"}
	ErrInvalidPosition  = &Error{Code: CodeInvalidPosition, Message: "invalid position"}
	ErrPublishFailed    = &Error{Code: CodePublishFailed, Message: "publish failed"}
	ErrNoReceiver       = &Error{Code: CodeNoReceiver, Message: "no receiver"}
	ErrConditionFailed  = &Error{Code: CodeConditionFailed, Message: "condition failed"}
	ErrUnavailable      = &Error{Code: CodeUnavailable, Message: "unavailable"}
	ErrKeyTooLarge      = &Error{Code: CodeKeyTooLarge, Message: "key too large"}
	ErrValueTooLarge    = &Error{Code: CodeValueTooLarge, Message: "value too large"}
	ErrDeliveryFailed   = &Error{Code: CodeDeliveryFailed, Message: "delivery failed"}
	ErrInternal         = &Error{Code: CodeInternal, Message: "internal error"}
)
