// attack: C23/C++26 #embed of the hidden tests.
// expect: #embed can pull any file
static const char kLeaked[] = {
#embed "../../grader/hidden/quorum_kv/hidden_test.cc"
};
