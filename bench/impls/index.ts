import type { Impl } from '../common.js';
import { goImpls } from './go.js';
import { openjdkImpls } from './openjdk.js';
import { python3Impls } from './python3.js';

/** Every implementation, in table order within its runtime: the limit, metaffi, the peers. */
export const IMPLS: Impl[] = [...python3Impls, ...openjdkImpls, ...goImpls];
