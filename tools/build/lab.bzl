"""One recipe for a lab's implementation, and the switch that picks it.

Every lab has two implementations of the same files: the student skeleton
(skeleton/<lab>/) and the reference (solution/<lab>/). Which one the lab's
tests link is chosen by ONE build setting:

    --//tools/build:impl=skeleton   (Bazel's default; the only tree a student has)
    --//tools/build:impl=solution

`./lab test --impl=...` and `./lab grade --impl=...` pass it for you.

- `lab_impl(deps)` in skeleton/<lab>/BUILD and solution/<lab>/BUILD declares
  that tree's library; the two BUILD files are the same one call.
- `lab_impl_alias()` in labs/<lab>/BUILD declares `:impl`, the target the
  lab's harness and tests depend on, which follows the switch.

The framework never looks at the switch: it compiles the same way for both
trees. A test binary learns which tree it links from the tree's own library,
which registers its name (see linked_implementation.h), so a replay command
names the implementation that failed.
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

IMPLEMENTATIONS = ["skeleton", "solution"]

# The one framework target lab implementations may use (labs/framework/BUILD).
FRAMEWORK_API = "//labs/framework:api"

def _implementation_flag_impl(ctx):
    if ctx.build_setting_value not in IMPLEMENTATIONS:
        fail("--//tools/build:impl=%s: must be %s" %
             (ctx.build_setting_value, " or ".join(IMPLEMENTATIONS)))
    return []

# The type of //tools/build:impl: a string flag limited to IMPLEMENTATIONS.
implementation_flag = rule(
    implementation = _implementation_flag_impl,
    build_setting = config.string(flag = True),
)

def _tree_and_lab(where):
    parts = native.package_name().split("/")
    if len(parts) != 2:
        fail("%s belongs in skeleton/<lab>/BUILD or solution/<lab>/BUILD, not %s" %
             (where, native.package_name()))
    return parts[0], parts[1]

def lab_impl(deps, srcs = None, hdrs = None):
    """The implementation library of one lab in one tree.

    Call it in skeleton/<lab>/BUILD and solution/<lab>/BUILD, with the same
    arguments. It declares //<tree>/<lab>:<lab>, whose headers are included as
    "<lab>/file.h" from either tree, so student and reference files are
    interchangeable, and which only labs/<lab> may depend on.

    The framework's student-facing API, //labs/framework:api, is added here
    and is the only framework target an implementation gets: naming any
    other //labs/framework target (the engine that runs the simulation) in
    `deps` is an error, and Bazel's visibility refuses it anywhere else in
    skeleton/ and solution/ (docs/framework.md, "What a node may use").

    Args:
      deps: what the implementation uses besides the framework API (the
        lab's interface, Abseil, protobuf messages).
      srcs: the .cc files; default: every .cc file of the folder except tests.
      hdrs: the .h files; default: every .h file of the folder.
    """
    tree, lab = _tree_and_lab("lab_impl()")
    if tree not in IMPLEMENTATIONS:
        fail("lab_impl(): the tree must be one of %s, not %s" % (IMPLEMENTATIONS, tree))
    for dep in deps:
        if dep.lstrip("@").startswith("//labs/framework"):
            fail(("lab_impl() in %s: %s is not for student code. An implementation may use " +
                  "only %s, which lab_impl adds itself; take %s out of deps " +
                  "(see docs/framework.md, \"What a node may use\")") %
                 (native.package_name(), dep, FRAMEWORK_API, dep))
    registration = lab + "_registers_" + tree
    cc_library(
        name = lab,
        srcs = srcs if srcs != None else native.glob(["*.cc"], exclude = ["*_test.cc"]),
        hdrs = hdrs if hdrs != None else native.glob(["*.h"]),
        strip_include_prefix = "/" + tree,
        visibility = ["//labs/%s:__pkg__" % lab],
        deps = deps + [FRAMEWORK_API, ":" + registration],
    )

    # Tells the test binary which tree it links (for replay commands). Kept
    # by the linker although nothing calls it: it works by static
    # initialization.
    cc_library(
        name = registration,
        srcs = ["//tools/build:register_implementation.cc"],
        local_defines = ["AURORALAB_IMPLEMENTATION=" + tree],
        alwayslink = True,
        deps = ["//tools/build:linked_implementation"],
    )

def lab_impl_alias(name = "impl"):
    """`:impl` in labs/<lab>/BUILD: the tree the switch selects."""
    parts = native.package_name().split("/")
    if len(parts) != 2 or parts[0] != "labs":
        fail("lab_impl_alias() belongs in labs/<lab>/BUILD, not " + native.package_name())
    lab = parts[1]
    native.alias(
        name = name,
        actual = select(
            {
                "//tools/build:impl_" + tree: "//%s/%s" % (tree, lab)
                for tree in IMPLEMENTATIONS
            },
            no_match_error = "--//tools/build:impl must be skeleton or solution",
        ),
    )
