*SENSE:Minimize
NAME          reference_linear
ROWS
 N  cost
 E  expert_0
 E  expert_1
 E  expert_2
 E  expert_3
 L  candidate_0
 L  candidate_1
 L  candidate_2
 L  candidate_3
 L  candidate_4
 L  candidate_5
COLUMNS
    MARK      'MARKER'                 'INTORG'
    x_0_0     expert_0   1.000000000000e+00
    x_0_0     candidate_0   1.000000000000e+00
    x_0_0     cost       1.724556572380e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_0_1     expert_0   1.000000000000e+00
    x_0_1     candidate_1   1.000000000000e+00
    x_0_1     cost       9.734264119175e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_0_2     expert_0   1.000000000000e+00
    x_0_2     candidate_2   1.000000000000e+00
    x_0_2     cost       1.272662298877e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_0_3     expert_0   1.000000000000e+00
    x_0_3     candidate_3   1.000000000000e+00
    x_0_3     cost       7.615041597645e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_0_4     expert_0   1.000000000000e+00
    x_0_4     candidate_4   1.000000000000e+00
    x_0_4     cost       1.555288323504e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_0_5     expert_0   1.000000000000e+00
    x_0_5     candidate_5   1.000000000000e+00
    x_0_5     cost       1.257913696780e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_0     expert_1   1.000000000000e+00
    x_1_0     candidate_0   1.000000000000e+00
    x_1_0     cost       9.831874872800e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_1     expert_1   1.000000000000e+00
    x_1_1     candidate_1   1.000000000000e+00
    x_1_1     cost       5.382598007356e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_2     expert_1   1.000000000000e+00
    x_1_2     candidate_2   1.000000000000e+00
    x_1_2     cost       7.545661673958e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_3     expert_1   1.000000000000e+00
    x_1_3     candidate_3   1.000000000000e+00
    x_1_3     cost       3.969652020521e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_4     expert_1   1.000000000000e+00
    x_1_4     candidate_4   1.000000000000e+00
    x_1_4     cost       9.507956724469e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_1_5     expert_1   1.000000000000e+00
    x_1_5     candidate_5   1.000000000000e+00
    x_1_5     cost       7.088918718295e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_0     expert_2   1.000000000000e+00
    x_2_0     candidate_0   1.000000000000e+00
    x_2_0     cost       1.382248320469e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_1     expert_2   1.000000000000e+00
    x_2_1     candidate_1   1.000000000000e+00
    x_2_1     cost       7.717476217892e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_2     expert_2   1.000000000000e+00
    x_2_2     candidate_2   1.000000000000e+00
    x_2_2     cost       1.004001532659e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_3     expert_2   1.000000000000e+00
    x_2_3     candidate_3   1.000000000000e+00
    x_2_3     cost       5.340091357046e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_4     expert_2   1.000000000000e+00
    x_2_4     candidate_4   1.000000000000e+00
    x_2_4     cost       1.202864919289e-02
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_2_5     expert_2   1.000000000000e+00
    x_2_5     candidate_5   1.000000000000e+00
    x_2_5     cost       9.846870430714e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_0     expert_3   1.000000000000e+00
    x_3_0     candidate_0   1.000000000000e+00
    x_3_0     cost       5.904845989594e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_1     expert_3   1.000000000000e+00
    x_3_1     candidate_1   1.000000000000e+00
    x_3_1     cost       3.398987294012e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_2     expert_3   1.000000000000e+00
    x_3_2     candidate_2   1.000000000000e+00
    x_3_2     cost       5.292055536454e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_3     expert_3   1.000000000000e+00
    x_3_3     candidate_3   1.000000000000e+00
    x_3_3     cost       3.089070702992e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_4     expert_3   1.000000000000e+00
    x_3_4     candidate_4   1.000000000000e+00
    x_3_4     cost       5.650304793667e-03
    MARK      'MARKER'                 'INTEND'
    MARK      'MARKER'                 'INTORG'
    x_3_5     expert_3   1.000000000000e+00
    x_3_5     candidate_5   1.000000000000e+00
    x_3_5     cost       4.193748531088e-03
    MARK      'MARKER'                 'INTEND'
RHS
    RHS       expert_0   1.000000000000e+00
    RHS       expert_1   1.000000000000e+00
    RHS       expert_2   1.000000000000e+00
    RHS       expert_3   1.000000000000e+00
    RHS       candidate_0   1.000000000000e+00
    RHS       candidate_1   1.000000000000e+00
    RHS       candidate_2   1.000000000000e+00
    RHS       candidate_3   1.000000000000e+00
    RHS       candidate_4   1.000000000000e+00
    RHS       candidate_5   1.000000000000e+00
BOUNDS
 BV BND       x_0_0   
 BV BND       x_0_1   
 BV BND       x_0_2   
 BV BND       x_0_3   
 BV BND       x_0_4   
 BV BND       x_0_5   
 BV BND       x_1_0   
 BV BND       x_1_1   
 BV BND       x_1_2   
 BV BND       x_1_3   
 BV BND       x_1_4   
 BV BND       x_1_5   
 BV BND       x_2_0   
 BV BND       x_2_1   
 BV BND       x_2_2   
 BV BND       x_2_3   
 BV BND       x_2_4   
 BV BND       x_2_5   
 BV BND       x_3_0   
 BV BND       x_3_1   
 BV BND       x_3_2   
 BV BND       x_3_3   
 BV BND       x_3_4   
 BV BND       x_3_5   
ENDATA
