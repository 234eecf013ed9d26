/** A reply only the person who acted can see; it never replaces the message they clicked. */
export function ephemeral(text: string) {
  return { response_type: 'ephemeral' as const, replace_original: false, text };
}
