#include "kernels/kernel_table.h"

namespace tokenfab::kernels::internal {

void FillAvx512MatMul(KernelTable* table) {}

}  // namespace tokenfab::kernels::internal
