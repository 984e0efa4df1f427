// App code for push_errors.js: the same exception type as payment.js, another place in the app.
'use strict';
function post(entry) {
  return entry.account.balance + 1; // entry.account is undefined: TypeError here
}
module.exports = { post };
