/* Reviews widget, standing in for a third-party script. The shop loads it
   with a synchronous <script> in <head>, as many real shops load their tag
   managers, so when it hangs the whole page hangs. */
window.vigilWidget = { name: "reviews", version: "1.4.2", loaded: true };
