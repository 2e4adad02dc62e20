"""Reference strings and values for tests/nn/*.cpp (PyTorch 1.13).

Run: /usr/bin/python3 tests/reference/nn.py; the printed reprs are pasted into
tests/nn/modules.cpp and tests/nn/module.cpp.
"""
import math
import torch
from torch import nn


def show(name, m):
    print(f'--- {name}')
    print(repr(m))


show('conv_lenet', nn.Conv2d(1, 6, kernel_size=5, padding=2))
show('conv_plain', nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False))
show('conv_full', nn.Conv2d(4, 8, kernel_size=(3, 5), stride=(3, 4), padding=(0, 1), dilation=2, groups=2))
show('conv_same', nn.Conv2d(2, 2, 3, padding='same'))
show('linear', nn.Linear(400, 120))
show('linear_nobias', nn.Linear(3, 2, bias=False))
show('maxpool', nn.MaxPool2d(3, padding=1, stride=2))
show('maxpool_rect', nn.MaxPool2d((2, 3), padding=(1, 1), stride=(2, 3)))
show('avgpool', nn.AvgPool2d(kernel_size=2, stride=2))
show('adaptive', nn.AdaptiveAvgPool2d((1, 1)))
show('adaptive_int', nn.AdaptiveAvgPool2d(7))
show('adaptive_none', nn.AdaptiveAvgPool2d((None, 7)))
show('dropout', nn.Dropout(0.5))
show('dropout1', nn.Dropout(p=1.0))
show('relu', nn.ReLU())
show('relu_inplace', nn.ReLU(inplace=True))
show('flatten', nn.Flatten())
show('softmax', nn.Softmax(dim=1))
show('losses', [nn.MSELoss(), nn.CrossEntropyLoss(), nn.L1Loss(), nn.NLLLoss(), nn.BCEWithLogitsLoss(),
                nn.SmoothL1Loss(), nn.HuberLoss()])
lenet = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.Sigmoid(),
    nn.Linear(84, 10))
show('lenet', lenet)
print([n for n, _ in lenet.named_parameters()])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
        self.fc = nn.Linear(8, 2)
        self.scale = nn.Parameter(torch.ones(1))
        self.register_buffer('steps', torch.zeros(1))


net = Net()
show('net', net)
print([n for n, _ in net.named_parameters()])
print([n for n, _ in net.named_buffers()])
print([n for n, _ in net.named_modules()])

# Default init bounds: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
for m, fan_in in [(nn.Conv2d(6, 16, 5), 150), (nn.Linear(400, 120), 400), (nn.Conv2d(4, 8, 3, groups=2), 18)]:
    b = 1 / math.sqrt(fan_in)
    print(type(m).__name__, fan_in, b, m.weight.abs().max().item() <= b, m.bias.abs().max().item() <= b)
print('gains', nn.init.calculate_gain('relu'), nn.init.calculate_gain('tanh'), nn.init.calculate_gain('leaky_relu'),
      nn.init.calculate_gain('leaky_relu', 0.2), nn.init.calculate_gain('sigmoid'), nn.init.calculate_gain('conv2d'))
