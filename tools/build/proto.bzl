"""cc_proto: C++ code from .proto files with Debian's protoc.

Bazel's native proto rules need @com_google_protobuf, which would be a
download; this macro runs the system protoc in a genrule instead and wraps the
output in a cc_library. Imports are workspace-relative
(`import "labs/framework/rpc.proto";`), so pass the imported cc_proto targets
in `deps`. Every source is first checked for map<> fields
(tools/proto_check), which are rejected: their iteration order would break
deterministic replay.
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

def cc_proto(name, srcs, deps = [], visibility = None):
    hdrs = [s[:-len(".proto")] + ".pb.h" for s in srcs]
    ccs = [s[:-len(".proto")] + ".pb.cc" for s in srcs]
    native.filegroup(
        name = name + "_files",
        srcs = srcs + [d + "_files" for d in deps],
        visibility = visibility,
    )
    native.genrule(
        name = name + "_gen",
        srcs = srcs + [d + "_files" for d in deps],
        outs = hdrs + ccs,
        tools = ["@system//:protoc", "//tools/proto_check:check_proto_fields"],
        # map<> fields iterate in a different order in every process, which
        # breaks replay: the check fails the build on one, naming its line.
        cmd = "$(location //tools/proto_check:check_proto_fields) " +
              " ".join(["$(location %s)" % s for s in srcs]) + " && " +
              "$(location @system//:protoc) --proto_path=. --cpp_out=$(GENDIR) " +
              " ".join(["$(location %s)" % s for s in srcs]),
    )
    cc_library(
        name = name,
        srcs = ccs,
        hdrs = hdrs,
        # Generated code is not ours to keep warning-free.
        copts = ["-Wno-unused-parameter", "-Wno-error"],
        deps = deps + ["@system//:protobuf"],
        visibility = visibility,
    )
