#include "kernels/kernel_table.h"

#include "tokenfab/base/check.h"

namespace tokenfab::kernels::internal {
namespace {

KernelTable BuildTable(IsaLevel level) {
  KernelTable table;
  table.level = level;
  // Every level starts from the scalar kernels; a level replaces what it implements.
  FillScalarStream(&table);
  FillScalarOps(&table);
  if (level >= IsaLevel::kAvx2) {
    FillAvx2Stream(&table);
    FillAvx2Panels(&table);
    FillAvx2Ops(&table);
  }
  if (level >= IsaLevel::kAvx512) {
    FillAvx512Stream(&table);
    FillAvx512Panels(&table);
    FillAvx512Ops(&table);
  }
  return table;
}

}  // namespace

int MatTypeIndex(GgmlType type) {
  switch (type) {
    case GgmlType::kF32:
      return kMatF32;
    case GgmlType::kF16:
      return kMatF16;
    case GgmlType::kBF16:
      return kMatBF16;
    case GgmlType::kQ8_0:
      return kMatQ8_0;
    case GgmlType::kQ4_0:
      return kMatQ4_0;
    case GgmlType::kQ4_K:
      return kMatQ4_K;
    case GgmlType::kQ6_K:
      return kMatQ6_K;
    default:
      return -1;
  }
}

bool UsesPanels(const KernelTable& table, int type, int64_t n_tokens) {
  return n_tokens >= kPanelMinTokens && table.panel[type].panel != nullptr;
}

Rounding MatMulRounding(const KernelTable& table, int type, int64_t n_tokens) {
  return UsesPanels(table, type, n_tokens) ? table.panel[type].rounding
                                           : table.stream[type].rounding;
}

const KernelTable& GetKernelTable(IsaLevel level) {
  TF_CHECK(IsaLevelSupported(level))
      << "this CPU cannot run the " << IsaLevelName(level) << " kernels";
  switch (level) {
    case IsaLevel::kScalar: {
      static const KernelTable table = BuildTable(IsaLevel::kScalar);
      return table;
    }
    case IsaLevel::kAvx2: {
      static const KernelTable table = BuildTable(IsaLevel::kAvx2);
      return table;
    }
    case IsaLevel::kAvx512: {
      static const KernelTable table = BuildTable(IsaLevel::kAvx512);
      return table;
    }
  }
  TF_CHECK(false) << "unknown level";
  __builtin_unreachable();
}

}  // namespace tokenfab::kernels::internal
