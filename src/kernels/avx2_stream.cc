#include "kernels/kernel_table.h"

namespace tokenfab::kernels::internal {

void FillAvx2Stream(KernelTable* table) {}

}  // namespace tokenfab::kernels::internal
