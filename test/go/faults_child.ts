/**
 * Child process of faults.test.ts: loads the Go guest of test/fixtures/go/faults (its path in
 * METAFFI_TEST_GUEST) and runs one scenario (argv[2]), printing what happened.
 */
import { MetaFFIRuntime, MetaFFITypes as T } from 'metaffi';

const guest = new MetaFFIRuntime('go').loadModule(process.env.METAFFI_TEST_GUEST!);
const I = T.metaffi_int64_type;
const add = guest.loadEntity('callable=Add', [I, I], [I]);
const scenario = process.argv[2];
if (scenario === 'recurse') {
  console.log('before');
  guest.loadEntity('callable=Recurse', [I], [I])(0);
  console.log('after recursion (unexpected)');
} else if (scenario === 'unprotected') {
  console.log('before');
  guest.loadEntity('callable=PanicUnprotected', null, null)();
  console.log('after panic (unexpected)');
} else {
  guest.loadEntity(`callable=${scenario}`, null, null)();
  guest.loadEntity(`callable=${scenario}`, null, null)();
  console.log(`alive ${String(add(2, 3))}`);
}
