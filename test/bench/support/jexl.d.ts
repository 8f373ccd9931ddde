/** jexl ships no types; the bench uses only `compile(source).evalSync(context)`. */
declare module 'jexl' {
  const jexl: { compile(source: string): { evalSync(context: object): unknown } };
  export default jexl;
}
