// attack: pull the hidden tests into the binary at compile time with an
//         assembler .incbin, then print them.
// expect: inline assembly is not allowed
asm(".section .rodata\n.global leaked\nleaked:\n.incbin \"grader/hidden/quorum_kv/hidden_test.cc\"\n.byte 0\n.text\n");
