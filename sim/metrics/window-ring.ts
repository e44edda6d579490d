import { InternalError } from '../errors.js';
import { WindowStats } from './window-stats.js';

const INITIAL_CAPACITY = 16;

/**
 * The windows a recorder still holds, [base, created): created in order on first use, released from the oldest
 * on. A released window's storage (sketches included) is reused for a later one, so a recorder that releases
 * as fast as it creates allocates nothing per window.
 */
export class WindowRing {
  private slots: WindowStats[] = [];
  private baseIndex = 0;
  private createdCount = 0;

  constructor(private readonly windowSeconds: number) {}

  /** Oldest window still held. */
  get base(): number {
    return this.baseIndex;
  }

  /** Windows created so far (held or released). */
  get created(): number {
    return this.createdCount;
  }

  /** Windows held now. */
  get held(): number {
    return this.createdCount - this.baseIndex;
  }

  /** Window `index`, created (with every window before it) if new; it must not have been released. */
  at(index: number): WindowStats {
    if (index < this.baseIndex) throw new InternalError(`metrics: window ${index} was already released`);
    while (this.createdCount <= index) this.create();
    return this.slots[index & (this.slots.length - 1)];
  }

  /** Releases every window before `index`. */
  releaseBefore(index: number): void {
    this.baseIndex = Math.max(this.baseIndex, Math.min(index, this.createdCount));
  }

  /** Every window held, oldest first. */
  *heldWindows(): IterableIterator<WindowStats> {
    for (let i = this.baseIndex; i < this.createdCount; i++) yield this.slots[i & (this.slots.length - 1)];
  }

  private create(): void {
    if (this.held === this.slots.length) this.grow();
    const slot = this.createdCount & (this.slots.length - 1);
    const window = (this.slots[slot] ??= new WindowStats());
    window.reset(this.createdCount * this.windowSeconds);
    this.createdCount++;
  }

  /** Doubles the capacity, keeping each held window at its index's slot. */
  private grow(): void {
    const capacity = Math.max(INITIAL_CAPACITY, this.slots.length * 2);
    const slots: WindowStats[] = new Array(capacity);
    for (let i = this.baseIndex; i < this.createdCount; i++) slots[i & (capacity - 1)] = this.slots[i & (this.slots.length - 1)];
    this.slots = slots;
  }
}
