export type {
  AgentInfo,
  Allocation,
  Allocator,
  AllocatorOptions,
  FrameworkOptions,
  RecoverFilter,
  RoleSummary,
} from './allocator.interface';
export { ALLOCATOR_KINDS, createAllocator, type AllocatorKind } from './allocator.factory';
export { HierarchicalDrfAllocator, DEFAULT_MIN_ALLOCATABLE } from './hierarchical-drf.allocator';
export { AllocationLoop, type AllocationLoopOptions } from './allocation-loop';
export { DEFAULT_REFUSE_SECONDS } from './offer-filters';
