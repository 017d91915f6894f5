"""The Getting Started page (Help menu): a first session in five steps."""

GETTING_STARTED = """
<h3>Getting started</h3>
<p>Netwright builds a network from nodes: data flows from a <b>Dataset</b> through layers into a
<b>loss</b>, and an <b>optimizer</b> changes the layers' weights to make that loss small.</p>
<p><b>1. Open an example.</b> <i>File › Examples</i> lists them as a learning path: start with
<i>Digits MLP</i>, then convolutions, sequences, transfer learning and generative models.</p>
<p><b>2. Train it.</b> Press <b>Train</b> (F5). The curves show the loss and the accuracy on the
training data and on held-out validation data, epoch by epoch. <b>Pause</b> to change the
learning rate; <b>Stop</b> keeps what was learned. See <a style='color:#8ab4ff' href="netwright:curves">Reading the
curves</a>.</p>
<p><b>3. Change the network.</b> Drag a node from the <i>Nodes</i> palette onto the canvas, or press
<b>Tab</b> on the canvas and type (<i>dense</i>, <i>conv</i>, <i>pool</i>, <i>norm</i> all work).
Drag from an output port (right) to an input port (left) to connect. Every edge shows the
shape of the tensor it carries; <b>Ctrl+Delete</b> removes a node and reconnects the chain.</p>
<p><b>4. Fix what is flagged.</b> A red border means the node cannot work as wired. The
<i>Problems</i> panel says why and often offers a one-click fix. Select a node to read what it
does in the <i>Help</i> panel and to edit its parameters in <i>Properties</i>.</p>
<p><b>5. Keep the result.</b> <i>File › Save</i> writes the graph; runs are kept beside it
(<i>Runs</i> tab). <i>File › Export Model</i> (Ctrl+E) writes Python, ONNX, torch.export or
weights, and checks that the file reproduces the model.</p>
<p>Everything can be undone (Ctrl+Z). All keys: <a style='color:#8ab4ff' href="netwright:shortcuts">Keyboard
shortcuts</a>.</p>
"""
