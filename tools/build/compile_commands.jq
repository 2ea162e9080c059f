# Turns `bazel aquery --output=jsonproto 'mnemonic("CppCompile", //...)'` into
# a compile_commands.json for clangd (used by `./lab compile-commands`).
#
# $root is the workspace. Each entry runs in the workspace, where Bazel's
# bazel-out symlink resolves generated headers (*.pb.h). Changes to Bazel's
# command line, so that clangd sees the files a student edits:
# - a lab tree's virtual include dir (strip_include_prefix) becomes the tree
#   itself: "quorum_kv/client.h" resolves to skeleton/quorum_kv/client.h (or
#   solution/...), not to a symlink under bazel-out;
# - GCC-only flags clang does not know are dropped, and so is -Werror, since
#   clang's warnings differ from GCC's (the build stays the judge).
# - outputs go: clangd only parses, and must never write a dependency file
#   into bazel-out (-MD, -MF FILE, -o FILE).
def gcc_only: . == "-fno-canonical-system-headers" or . == "-Wunused-but-set-parameter"
  or . == "-Wno-free-nonheap-object" or . == "-Werror" or . == "-MD";
# Drops "-MF FILE" and "-o FILE" pairs.
def without_outputs:
  reduce .[] as $arg ({out: [], skip: false};
    if .skip then .skip = false
    elif $arg == "-MF" or $arg == "-o" then .skip = true
    else .out += [$arg] end) | .out;

[ .actions[]
  | select(.mnemonic == "CppCompile")
  | .arguments as $args
  | ($args | index("-c")) as $c
  | select($c != null)
  | {
      directory: $root,
      file: ($root + "/" + $args[$c + 1]),
      arguments: [ ($args | without_outputs)[]
        | select(gcc_only | not)
        | sub("^-Ibazel-out/[^/]+/bin/(?<tree>skeleton|solution)/[^/]+/_virtual_includes/[^/]+$";
              "-I\(.tree)") ]
    }
  # One entry per file (a file compiled twice, e.g. for a test and a
  # library, keeps its first command).
] | unique_by(.file)
