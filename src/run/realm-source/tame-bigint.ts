/**
 * Realm source, metered realms only: BigInt arithmetic is out of reach until the host lets it in.
 * One BigInt operation is one builtin: `10n ** 10000000n` runs for seconds and checks nothing, so
 * metered code cannot stop it, and a turn without a watchdog would let it run to its end. Node's
 * watchdog does stop it. So a metered realm's turns may go without a watchdog only while no
 * BigInt can exist in it, and the host (Realm.enableBigInt) keeps every later turn watched from
 * the moment one can.
 *
 * A BigInt comes from a literal, which the host sees in the code before it is compiled; from the
 * builtins taken away below (the host gives them back when some code names them); from a copy
 * the membrane makes (it tells the host first). Code that spells a name by computation
 * (`globalThis['Big' + 'Int']`) finds nothing until then. Temporal (Node 26) answers in BigInt
 * nanoseconds, so it goes with them.
 *
 * In scope: g, getOwnPropertyDescriptor, defineProperty, deleteProperty, METERED.
 * Defines: restoreBigInt (the kit's enableBigInt).
 */
export const TAME_BIGINT_SOURCE = String.raw`
const takenBigInt = [];
function restoreBigInt() {
  for (let i = 0; i < takenBigInt.length; i += 3) defineProperty(takenBigInt[i], takenBigInt[i + 1], takenBigInt[i + 2]);
  takenBigInt.length = 0;
}
if (METERED) {
  const take = (o, key) => {
    const descriptor = o === undefined ? undefined : getOwnPropertyDescriptor(o, key);
    if (descriptor === undefined) return;
    takenBigInt[takenBigInt.length] = o;
    takenBigInt[takenBigInt.length] = key;
    takenBigInt[takenBigInt.length] = descriptor;
    deleteProperty(o, key);
  };
  take(g, 'BigInt'); take(g, 'BigInt64Array'); take(g, 'BigUint64Array'); take(g, 'Temporal');
  const dataView = g.DataView && g.DataView.prototype;
  take(dataView, 'getBigInt64'); take(dataView, 'getBigUint64'); take(dataView, 'setBigInt64'); take(dataView, 'setBigUint64');
}
`;
