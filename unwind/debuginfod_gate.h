// Whether libdebuginfod may be loaded at all. libdw (0.188) loads it the first time
// a module's debug info is not found on this machine, whether or not a server is
// configured, and libdebuginfod then does nothing without DEBUGINFOD_URLS. The load
// costs libcurl, GnuTLS, Kerberos, LDAP and the rest (~30 libraries) and their
// initialisation: several milliseconds, more than the rest of a one-thread capture.
// debuginfod_gate.cpp refuses libdw that load unless a server is configured.
#pragma once

namespace ukstack::unwind {

// DEBUGINFOD_URLS is set and not empty: there is a server to ask.
bool debuginfod_configured();

}  // namespace ukstack::unwind
