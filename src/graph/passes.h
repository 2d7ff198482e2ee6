// Graph rewrites run once when an engine is compiled.
#pragma once

#include <string>

#include "graph/graph.h"

namespace lre {

// Evaluates every node whose inputs are all constant (on the CPU kernels) and turns its outputs
// into constants. Random ops are left alone.
void fold_constants(Graph& g, const std::string& model_name);

// Folds inference BatchNormalization nodes into the Conv that feeds them (constant weights only).
void fuse_conv_batchnorm(Graph& g);

// Folds Relu (and a residual Add before it) into the Conv feeding it: a Conv with attribute
// activation="Relu" and the shortcut as optional fourth input.
void fuse_conv_activation(Graph& g);

// Drops nodes none of whose outputs reach a graph output, and nodes whose outputs are all constant.
void remove_dead_nodes(Graph& g);

}  // namespace lre
