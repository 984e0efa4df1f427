// App code for push_errors.js: two different bugs that raise the same exception type.
'use strict';
function charge(order) {
  return order.card.amount * 100; // order.card is undefined: TypeError here
}
module.exports = { charge };
