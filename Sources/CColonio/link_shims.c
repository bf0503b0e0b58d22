// Lets libcolonio.so hold Debian's libtg_owt.a, which is not built with -fPIC: its code reaches a few data
// symbols of libc, libstdc++ and absl through 32-bit PC-relative relocations, which a shared library can
// only satisfy with a definition of its own. These hidden copies are those definitions (the library is
// linked with -Bsymbolic and exports colonio_* only, so they serve just its own code); a constructor
// fills them from the real symbols before anything else in the library runs. See docs/bindings.md.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN void *colonio_stdout_copy __asm__("stdout");
HIDDEN void *colonio_stderr_copy __asm__("stderr");
// IPv6 any (::) and loopback (::1): constants, defined here with their values.
HIDDEN const unsigned char colonio_in6addr_any[16] __asm__("in6addr_any") = {0};
HIDDEN const unsigned char colonio_in6addr_loopback[16] __asm__("in6addr_loopback") = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
// std::nothrow: an empty tag only ever passed by address.
HIDDEN const char colonio_nothrow __asm__("_ZSt7nothrow") = 0;
// Tables of libstdc++ (the vtables of std::basic_ios<char>, std::basic_streambuf<char> and
// std::basic_stringbuf<char> and std::basic_ostringstream<char>, the latter's VTT) and absl's ASCII table, copied
// whole; sizes as libstdc++ 12 and absl 20220623 define them, checked against the real symbols below.
#define COPIED(variable, size, symbol) \
    HIDDEN unsigned char variable[size] __asm__(symbol) __attribute__((aligned(16)))
COPIED(colonio_basic_ios_vtable, 32, "_ZTVSt9basic_iosIcSt11char_traitsIcEE");
COPIED(colonio_streambuf_vtable, 128, "_ZTVSt15basic_streambufIcSt11char_traitsIcEE");
COPIED(colonio_stringbuf_vtable, 128, "_ZTVNSt7__cxx1115basic_stringbufIcSt11char_traitsIcESaIcEEE");
COPIED(colonio_ostringstream_vtable, 80, "_ZTVNSt7__cxx1119basic_ostringstreamIcSt11char_traitsIcESaIcEEE");
COPIED(colonio_ostringstream_vtt, 32, "_ZTTNSt7__cxx1119basic_ostringstreamIcSt11char_traitsIcESaIcEEE");
COPIED(colonio_absl_property_bits, 256, "_ZN4absl7debian314ascii_internal13kPropertyBitsE");

static const struct {
    const char *name;
    unsigned char *copy;
    size_t size;
} copied[] = {
    {"_ZTVSt9basic_iosIcSt11char_traitsIcEE", colonio_basic_ios_vtable, sizeof colonio_basic_ios_vtable},
    {"_ZTVSt15basic_streambufIcSt11char_traitsIcEE", colonio_streambuf_vtable, sizeof colonio_streambuf_vtable},
    {"_ZTVNSt7__cxx1115basic_stringbufIcSt11char_traitsIcESaIcEEE", colonio_stringbuf_vtable,
     sizeof colonio_stringbuf_vtable},
    {"_ZTVNSt7__cxx1119basic_ostringstreamIcSt11char_traitsIcESaIcEEE", colonio_ostringstream_vtable,
     sizeof colonio_ostringstream_vtable},
    {"_ZTTNSt7__cxx1119basic_ostringstreamIcSt11char_traitsIcESaIcEEE", colonio_ostringstream_vtt,
     sizeof colonio_ostringstream_vtt},
    {"_ZN4absl7debian314ascii_internal13kPropertyBitsE", colonio_absl_property_bits,
     sizeof colonio_absl_property_bits},
};

// Copies `size` bytes of the next definition of `name` (the real one: ours are not exported) into `copy`.
static void copy_symbol(const char *name, void *copy, size_t size) {
    Dl_info info;
    const ElfW(Sym) *symbol = NULL;
    void *real = dlsym(RTLD_NEXT, name);
    if (real == NULL || dladdr1(real, &info, (void **)&symbol, RTLD_DL_SYMENT) == 0 || symbol == NULL ||
        symbol->st_size != size) {
        // Left zero, which would fail obscurely where libwebrtc uses it: say which one, once, at load.
        static const char prefix[] = "libcolonio: cannot copy ";
        static const char suffix[] = " (libstdc++ or absl changed? see docs/bindings.md)\n";
        (void)!write(STDERR_FILENO, prefix, sizeof prefix - 1);
        (void)!write(STDERR_FILENO, name, strlen(name));
        (void)!write(STDERR_FILENO, suffix, sizeof suffix - 1);
        return;
    }
    memcpy(copy, real, size);
}

__attribute__((constructor(101))) static void colonio_fill_link_shims(void) {
    void **out = dlsym(RTLD_NEXT, "stdout");
    void **err = dlsym(RTLD_NEXT, "stderr");
    if (out) colonio_stdout_copy = *out;
    if (err) colonio_stderr_copy = *err;
    for (size_t index = 0; index < sizeof copied / sizeof copied[0]; index++) {
        copy_symbol(copied[index].name, copied[index].copy, copied[index].size);
    }
}
