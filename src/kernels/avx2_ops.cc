#include "kernels/kernel_table.h"

namespace tokenfab::kernels::internal {

void FillAvx2Ops(KernelTable* table) {}

}  // namespace tokenfab::kernels::internal
