// Graph IR -> ONNX: the inverse of the loader, so an optimised graph (folded constants, fused
// nodes and their attributes) can be stored as a model and loaded again without the passes.
#pragma once

#include <string>

#include "graph/graph.h"

namespace lre {

// Serialises `g` as ModelProto bytes: the constants that nodes read (or that are graph outputs)
// become initializers, node attributes AttributeProtos, graph inputs and outputs value infos with
// their declared types and shapes, and each domain is imported at the opset its nodes use.
// Throws Unsupported for what cannot be written: attributes the loader keeps no data for
// (subgraphs, sparse tensors), nodes of one domain at different opsets, or more than 2 GiB.
std::string write_onnx_model(const Graph& g);

}  // namespace lre
