// attack: compile the reference solution into the submission by including it.
// expect: not an allowed header
#include "../../solution/quorum_kv/client.cc"
