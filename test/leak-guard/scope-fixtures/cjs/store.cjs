// A helper whose variable is written here and read by nobody.
// biome-ignore lint/correctness/noUnusedVariables: the leak under test, written and never read
let lastEmail

exports.remember = (email) => {
  lastEmail = email
}
