// SPDX-License-Identifier: Apache-2.0
// Whether this build runs under AddressSanitizer (the asan-ubsan preset), for tests whose
// checks differ there: ASan reserves terabytes of address space (no RLIMIT_AS), checks leaks
// itself at exit and inflates resident memory (its quarantine).
#pragma once

namespace cspwatch::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

}  // namespace cspwatch::testing
